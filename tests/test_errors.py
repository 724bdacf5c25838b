"""Every project exception survives pickling (a sweep worker sends it to the driver process)."""

import inspect
import pickle

from a3c_theory import errors
from a3c_theory.errors import ConditioningWarning, ConvergenceError, RunsFailed, ValidationError, WorkerDied


def test_every_project_exception_pickles_with_its_message():
    classes = [obj for _, obj in inspect.getmembers(errors, inspect.isclass)
               if issubclass(obj, Exception) and obj.__module__ == errors.__name__]
    assert {ValidationError, ConvergenceError} <= set(classes)
    examples = {ValidationError: ValidationError("problem.gamma", "must lie in (0, 1), got 1.5"),
                ConvergenceError: ConvergenceError("stationary μ_θ: residual 1e-8 > rtol 1e-10"),
                ConditioningWarning: ConditioningWarning("μ_θ may be inaccurate: estimated error 0.002"),
                RunsFailed: RunsFailed("1 of 3 runs failed (seed=2); finished runs are kept"),
                WorkerDied: WorkerDied("the worker process running run seed=2 died again on its retry")}
    for cls in classes:
        original = examples[cls]
        copy = pickle.loads(pickle.dumps(original))
        assert type(copy) is cls
        assert str(copy) == str(original)
        assert copy.args == original.args
    copy = pickle.loads(pickle.dumps(examples[ValidationError]))
    assert (copy.field, copy.message) == ("problem.gamma", "must lie in (0, 1), got 1.5")

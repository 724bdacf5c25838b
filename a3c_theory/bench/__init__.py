"""Speed benchmarks of the toolkit (exact calculus, compiled engine), reported by ``a3c-theory bench``."""

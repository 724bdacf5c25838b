"""a3c-theory: check the convergence theory of A3C-TD(0) against exact quantities on finite MDPs."""

__version__ = "0.1.0"

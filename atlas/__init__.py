"""atlas: a static-site generator for an atlas of visual analogies in an art collection."""

__version__ = "0.1.0"

"""Cloud Market (云集市): a self-hostable service market for trade unions."""

__version__ = "0.1.0"

"""workforce: allocation, retention and workforce plans for children's social care."""

__version__ = "0.1.0"

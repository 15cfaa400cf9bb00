"""Apache Airflow provider for the Sinch SMS REST API."""

__version__ = "0.1.0"

__all__ = ["__version__"]

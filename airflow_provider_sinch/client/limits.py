"""Sinch's documented size limits that code outside the models needs too, without importing pydantic models.

The send operator checks ``chunk_size`` against :data:`MAX_RECIPIENTS` when a DAG file is parsed, and sizes
its chunks' client references with :data:`MAX_URL_LENGTH`; importing the batch models for two numbers would
define every model at parse time.  The models import these from here, so each limit is written once.
"""

MAX_RECIPIENTS = 1000
"""Destinations in one batch."""

MAX_URL_LENGTH = 2048
"""An absolute URL (``callback_url``, media) and a ``client_reference``."""

MAX_MEMBERS_PER_REQUEST = 10000
"""Members one group create, replace or update may carry."""

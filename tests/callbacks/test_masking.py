"""The receiver's loggers mask every number in a line: message, arguments and traceback."""

from __future__ import annotations

import logging

import pytest

from airflow_provider_sinch.callbacks.masking import MaskNumbers, mask_numbers_in


@pytest.fixture
def logger() -> logging.Logger:
    logger = logging.getLogger("tests.callbacks.masking")
    logger.filters.clear()
    mask_numbers_in(logger)
    mask_numbers_in(logger)  # added once
    assert sum(isinstance(f, MaskNumbers) for f in logger.filters) == 1
    return logger


def test_message_arguments_and_traceback_are_masked(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("recorded %s for %s", "sinch://c/inbound/12017777777", "+46 70 123 45 67")
        try:
            raise ValueError("payload 12015555555")
        except ValueError:
            logger.exception("failed on %d", 12019999999)
    assert "12017777777" not in caplog.text
    assert "12015555555" not in caplog.text
    assert "12019999999" not in caplog.text
    assert "sinch://c/inbound/1201****777 for +4670****567" in caplog.text
    assert "ValueError: payload 1201****555" in caplog.text  # the traceback kept, masked
    assert "failed on 1201****999" in caplog.text


def test_short_digit_runs_and_masked_numbers_are_left_alone(
    logger: logging.Logger, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("batch %s: %d of 100%% to %s", "01W4FFL35P4NC4K35SMSBATCH9", 2, "+4670****567")
    assert caplog.records[0].getMessage() == "batch 01W4FFL35P4NC4K35SMSBATCH9: 2 of 100% to +4670****567"

"""Helpers every Airflow-facing layer shares: reading arguments, times, XCom values, poll settings, and
what a delivery or reply wait decides without I/O.

This package sits between the hooks and the operators, sensors, triggers and notifier: it may import the
client and the delivery domain (and Airflow), never an operator, sensor, trigger or notifier, so none of
those has to import another to reach a helper (``tests/test_layers.py`` checks the direction of every
import).
"""

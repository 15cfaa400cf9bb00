"""pytest plugin (``pytest11`` entry point ``sinch_sandbox``): the ``sinch_sandbox`` fixture.

Work in progress: the fixture lands with the sandbox package.
"""

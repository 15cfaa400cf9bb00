"""Test helpers shipped with the provider: the Sinch sandbox and its pytest plugin."""

"""Sensors: wait for Sinch delivery reports (:mod:`.delivery`) and SMS replies (:mod:`.inbound`)."""

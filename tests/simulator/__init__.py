"""Tests of the phone simulator blueprint."""

"""Tests of the WeChat API emulator."""

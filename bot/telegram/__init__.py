"""Telegram adapter (python-telegram-bot v22): convert updates, send replies, run."""

"""Command handlers, one module per concern; bot.router mixes them into the Router."""

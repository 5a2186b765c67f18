"""Zhibu's domain core: rules, periods, compliance, services. No chat platform code lives here."""

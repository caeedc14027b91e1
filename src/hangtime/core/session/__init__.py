"""The guided session as pure state: events in, commands out, time from an injected clock."""

"""Table adapters: the open protocol, a simulator, the host driver and the safety supervisor."""

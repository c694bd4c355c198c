"""Real plugins the tests register with `plugin_manager(extra=[...])`."""

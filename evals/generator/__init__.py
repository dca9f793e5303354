"""Generated worlds and the scenario suites derived from them."""

"""The web page, its API and Prometheus metrics, served from the monitor's own process."""

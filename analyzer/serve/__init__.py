"""The web page, its API and Prometheus metrics, served from the monitor's own process.
Imports ui, outputs, core, formats, follow and lines; never live, offline or deliver."""

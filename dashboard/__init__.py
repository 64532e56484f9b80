"""The Dash reporting server: pages, components and callbacks over the run store."""

"""The pages: home, a run, a shared run and not found; dashboard.app registers each layout."""

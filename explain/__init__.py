"""Segments explained: rules (text, SQL), human thresholds, profiles, names, strategy cards, figures."""

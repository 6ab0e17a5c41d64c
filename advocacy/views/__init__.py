"""Blueprints by audience: public (supporters); admin and api come later."""

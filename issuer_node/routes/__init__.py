"""Route families of the issuer node; each module has ``setup(app)`` adding its routes."""

"""The wallet's HTTP layer: routes only translate HTTP to the feature modules and back."""

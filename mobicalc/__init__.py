"""mobicalc: exact MACs and parameters of MobileNet-style networks."""

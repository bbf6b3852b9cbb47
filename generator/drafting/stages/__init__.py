"""Pipeline stages, one module each, in the order they run:

plan → search → select → extract → verify → review → decide
"""

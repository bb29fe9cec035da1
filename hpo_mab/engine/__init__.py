"""The trial loop, its clock and stopping criteria."""

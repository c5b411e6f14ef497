"""placeholder"""
import click
@click.command()
def http():
    """HTTP load (in progress)."""

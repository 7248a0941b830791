"""Run ``streamlit`` with the fake gallery and predictor of fakes.py (for the browser test).

Usage (from the repository root, PYTHONPATH=.):
    python tests/app/fake_server.py run app.py --server.headless true --server.port 8600

Streamlit runs the app's scripts in this process, so the fake modules put into
``sys.modules`` here are what the pages import.
"""
import sys

from fakes import install  # tests/app is sys.path[0] when this file is run as a script

if __name__ == "__main__":
    install(sys.modules)
    from streamlit.web import cli

    sys.argv = ["streamlit", *sys.argv[1:]]
    sys.exit(cli.main())

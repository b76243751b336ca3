"""Linear probe of frozen backbones on a binary X-ray task (PneumoniaCXR or MURA).

The tool's code is muscle_mm/cli/linear_probe.py (``main(argv)``), which other tools run
in-process (issue 18); its docstring has the details.
"""
from muscle_mm.cli.linear_probe import main

if __name__ == '__main__':
    main()

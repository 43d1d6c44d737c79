"""What each command shows: the view model (``model``), then one module per command.

Views are built from the engine's results and know nothing of output formats;
``mobicalc.render`` draws them. Import the module a command needs: this
package's ``__init__`` imports nothing, so a command loads only its own view.
"""

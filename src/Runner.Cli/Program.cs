using Runner.Cli;

using var cancel = new CancellationTokenSource();
// Ctrl-C asks the running trial to stop between batches; a second Ctrl-C ends the process at once.
Console.CancelKeyPress += (_, e) =>
{
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};
return CliApp.Run(args, CliContext.ForProcess(cancel.Token));

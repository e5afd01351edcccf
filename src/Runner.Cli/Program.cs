using System.Runtime.InteropServices;
using Runner.Cli;

using var cancel = new CancellationTokenSource();
// Ctrl-C asks the running trial to stop between batches; a second Ctrl-C ends the process at once.
Console.CancelKeyPress += (_, e) =>
{
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};
// SIGTERM (docker stop, kill, systemd) is the same polite request: a worker leaves the cluster instead of being
// torn down under its own reconnect loop. A second SIGTERM takes the default path and ends the process.
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (cancel.IsCancellationRequested) return;
    context.Cancel = true;
    cancel.Cancel();
});
return CliApp.Run(args, CliContext.ForProcess(cancel.Token));

using System.Runtime.InteropServices;
using Runner.Bench;
using Runner.Cli;

using var cancel = new CancellationTokenSource();
// As `runner`: Ctrl-C or SIGTERM stops the benchmark and the processes it started.
Console.CancelKeyPress += (_, e) =>
{
    if (cancel.IsCancellationRequested) return;
    e.Cancel = true;
    cancel.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    if (cancel.IsCancellationRequested) return;
    context.Cancel = true;
    cancel.Cancel();
});
return CliApp.Run(args, CliContext.ForProcess(cancel.Token), Benchmark.Program);

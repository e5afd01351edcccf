using Serilog;
using Serilog.Events;
using Serilog.Formatting.Compact;

namespace Runner.Cluster.Hosting;

/// <summary>
/// Serilog for everything, Akka included: the console (stderr) at the level the command wants, and a rolling JSON
/// file in the state folder (state/logs) at debug, with the node's address on every event. Stack traces go to the
/// file, never to the console of a user-facing command.
/// </summary>
public static class RunnerLogging
{
    public const string AkkaConfig = """
        akka.loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
        akka.logger-formatter = "Akka.Logger.Serilog.SerilogLogMessageFormatter, Akka.Logger.Serilog"
        akka.stdout-loglevel = OFF
        """;

    /// <summary>Makes the process's logger this node's; returns it (a node stopping closes only its own).</summary>
    public static Serilog.Core.Logger Configure(string stateFolder, LogEventLevel console, string node)
    {
        string folder = Path.Combine(stateFolder, "logs");
        Directory.CreateDirectory(folder);
        var logger = new LoggerConfiguration()
            .MinimumLevel.Debug()
            .Enrich.WithProperty("Node", node)
            .WriteTo.Console(restrictedToMinimumLevel: console, standardErrorFromLevel: LogEventLevel.Verbose,
                outputTemplate: "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}")
            .WriteTo.File(new CompactJsonFormatter(), Path.Combine(folder, "runner-.json"),
                rollingInterval: RollingInterval.Day, retainedFileCountLimit: 14, shared: true)
            .CreateLogger();
        Log.Logger = logger;
        return logger;
    }
}

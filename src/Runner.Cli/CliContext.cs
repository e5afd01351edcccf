using Spectre.Console;

namespace Runner.Cli;

/// <summary>What a command writes to and reads from: the console streams and the environment, swappable in tests.</summary>
public sealed class CliContext
{
    public required TextWriter Out { get; init; }
    public required TextWriter Error { get; init; }
    /// <summary>Rich console for tables and progress; plain when output is not a terminal.</summary>
    public required IAnsiConsole Console { get; init; }
    public bool IsTerminal { get; init; }
    public CancellationToken Cancel { get; init; }
    public string WorkingDirectory { get; init; } = Directory.GetCurrentDirectory();

    public static CliContext ForProcess(CancellationToken cancel)
    {
        bool terminal = !System.Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = terminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Detect : InteractionSupport.No,
            Out = new AnsiConsoleOutput(System.Console.Out),
        });
        // Pipes and CI logs have no width: do not wrap tables (ids and numbers must stay greppable).
        if (!terminal) console.Profile.Width = 240;
        return new CliContext
        {
            Out = System.Console.Out, Error = System.Console.Error, Console = console, IsTerminal = terminal, Cancel = cancel,
        };
    }
}

namespace Runner.Cli;

/// <summary>One verb of the `runner` command.</summary>
public interface ICommand
{
    string Name { get; }
    string Summary { get; }
    /// <summary>The full --help text.</summary>
    string Help { get; }
    IReadOnlyCollection<string> ValueOptions { get; }
    IReadOnlyCollection<string> FlagOptions { get; }
    /// <summary>Value options that may be given more than once.</summary>
    IReadOnlyCollection<string> RepeatableOptions => Array.Empty<string>();
    int Execute(Arguments args, CliContext context);
}

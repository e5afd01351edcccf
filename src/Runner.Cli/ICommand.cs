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
    int Execute(Arguments args, CliContext context);
}

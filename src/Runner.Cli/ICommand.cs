namespace Runner.Cli;

/// <summary>
/// One verb of a program (`runner`, `runner-bench`). It declares its arguments and options once: the parser, the
/// generated --help and shell completion all come from these declarations, so help cannot drift from what is parsed.
/// </summary>
public interface ICommand
{
    string Name { get; }
    /// <summary>One line, for the program's list of commands.</summary>
    string Summary { get; }
    /// <summary>What the command does, in paragraphs, for its --help (usage, arguments and options are generated).</summary>
    string Description { get; }
    IReadOnlyList<ArgumentSpec> Arguments => Array.Empty<ArgumentSpec>();
    IReadOnlyList<OptionSpec> Options { get; }
    /// <summary>A verb that programs call, not people: left out of the program's list of commands.</summary>
    bool Hidden => false;
    int Execute(Arguments args, CliContext context);
}

/// <summary>A positional argument; <paramref name="Required"/> false for an optional one.</summary>
public sealed record ArgumentSpec(string Name, string Help, bool Required = true);

/// <summary>
/// An option --NAME. <paramref name="Value"/> is the placeholder of its value in help (N, DIR, LIST), or null for a
/// flag; <paramref name="Repeatable"/> options may be given several times (read with <see cref="Arguments.GetAll"/>).
/// </summary>
public sealed record OptionSpec(string Name, string? Value, string Help, bool Repeatable = false)
{
    public bool IsFlag => Value == null;

    public static OptionSpec Flag(string name, string help) => new(name, null, help);
}

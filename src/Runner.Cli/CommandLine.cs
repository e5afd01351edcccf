using System.CommandLine;
using System.CommandLine.Help;

namespace Runner.Cli;

/// <summary>
/// A program's command line on System.CommandLine, built from its verbs' declarations (<see cref="ICommand"/>): the
/// parser, the generated --help and shell completion. Values stay text here and are read by <see cref="Arguments"/>,
/// so that every mistake gets Runner's one-line message: an unknown option with the nearest known one, a missing or
/// doubled value, a value that is not a number.
/// </summary>
public sealed class CommandLine
{
    readonly Command _root;
    readonly Dictionary<string, (ICommand Verb, Command Command)> _verbs = new();

    public CommandLine(CliApp.Program program)
    {
        // A plain command named after the program (RootCommand takes the name of the running executable, which is the
        // test host in tests), with the help option RootCommand would add, for every verb.
        _root = new Command(program.Name, program.Purpose) { Options = { new HelpOption { Recursive = true } } };
        foreach (var verb in program.Commands)
        {
            var command = new Command(verb.Name, verb.Summary + "\n\n" + verb.Description.TrimEnd());
            foreach (var a in verb.Arguments)
                command.Add(new Argument<string>(a.Name) { Description = a.Help, HelpName = a.Name, Arity = a.Required ? ArgumentArity.ExactlyOne : ArgumentArity.ZeroOrOne });
            foreach (var o in verb.Options)
                command.Add(o.IsFlag
                    ? new Option<bool>("--" + o.Name) { Description = o.Help, Arity = ArgumentArity.Zero }
                    : new Option<string[]>("--" + o.Name) { Description = o.Help, HelpName = o.Value, Arity = ArgumentArity.ZeroOrMore, AllowMultipleArgumentsPerToken = false });
            _root.Add(command);
            _verbs[verb.Name] = (verb, command);
        }
    }

    /// <summary>
    /// Parses one verb's command line (<paramref name="args"/> starts with the verb). Null when it asked for help,
    /// which is then written to <paramref name="output"/>; throws <see cref="UsageException"/> for a mistake.
    /// </summary>
    public Arguments? Parse(string[] args, TextWriter output)
    {
        var result = _root.Parse(args);
        var (verb, command) = _verbs[args[0]];
        if (result.Action is HelpAction)
        {
            result.Invoke(new InvocationConfiguration { Output = output, Error = output });
            return null;
        }
        var positional = command.Arguments.Select(a => result.GetResult(a)?.Tokens.FirstOrDefault()?.Value).OfType<string>().ToList();
        var unknown = positional.Concat(result.UnmatchedTokens).FirstOrDefault(t => t.StartsWith("--", StringComparison.Ordinal) && t.Length > 2);
        if (unknown != null)
        {
            string name = unknown[2..].Split('=')[0];
            string? closest = Sweeps.DidYouMean.Closest(name, verb.Options.Select(o => o.Name));
            throw new UsageException($"unknown option --{name} for '{verb.Name}'{(closest == null ? "" : $" (did you mean --{closest}?)")}");
        }
        if (result.Errors.Count > 0) throw new UsageException(result.Errors[0].Message.TrimEnd('.'));

        var values = new Dictionary<string, string>();
        var repeated = new Dictionary<string, IReadOnlyList<string>>();
        var flags = new HashSet<string>();
        foreach (var (spec, option) in verb.Options.Zip(command.Options))
        {
            if (result.GetResult(option) is not { Implicit: false } given) continue;
            if (spec.IsFlag) { flags.Add(spec.Name); continue; }
            var tokens = given.Tokens.Select(t => t.Value).ToList();
            if (tokens.Count == 0) throw new UsageException($"--{spec.Name} needs a value");
            if (spec.Repeatable) repeated[spec.Name] = tokens;
            else if (tokens.Count > 1) throw new UsageException($"--{spec.Name} is given twice");
            else values[spec.Name] = tokens[0];
        }
        return new Arguments(verb.Name, positional, values, repeated, flags);
    }

    /// <summary>
    /// What may come at <paramref name="position"/> of a partly typed command line (<paramref name="line"/>, starting
    /// with the program's name, as shells pass it): a verb first, then the verb's options. For `runner completion`.
    /// </summary>
    public IEnumerable<string> Complete(string line, int position)
    {
        position = Math.Clamp(position, 0, line.Length);
        var words = line[..position].Split(' ');
        if (words.Length < 2) return Array.Empty<string>();
        string word = words[^1];
        var candidates = words.Length == 2 ? _verbs.Keys
            : _verbs.TryGetValue(words[1], out var verb) && word.StartsWith('-')
                ? verb.Verb.Options.Select(o => "--" + o.Name).Append("--help")
                : Enumerable.Empty<string>();
        return candidates.Where(c => c.StartsWith(word, StringComparison.Ordinal)).Order(StringComparer.Ordinal);
    }
}

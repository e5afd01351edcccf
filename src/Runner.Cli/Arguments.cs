using System.Globalization;

namespace Runner.Cli;

/// <summary>A mistake on the command line: printed as one line with a pointer to --help, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The parsed command line of one verb: positional arguments, options with values (--name value or --name=value) and
/// flags. Every option must be declared by the verb, so a misspelt flag is an error, never silently ignored.
/// </summary>
public sealed class Arguments
{
    readonly Dictionary<string, string> _values = new();
    readonly Dictionary<string, List<string>> _repeated = new();
    readonly HashSet<string> _flags = new();
    public List<string> Positional { get; } = new();
    public string Verb { get; }

    Arguments(string verb) => Verb = verb;

    /// <param name="repeatable">value options that may be given several times (read with <see cref="GetAll"/>)</param>
    public static Arguments Parse(string verb, IReadOnlyList<string> args, IReadOnlyCollection<string> valueOptions, IReadOnlyCollection<string> flagOptions,
        IReadOnlyCollection<string>? repeatable = null)
    {
        var a = new Arguments(verb);
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg == "--")
            {
                a.Positional.Add(arg);
                continue;
            }
            string name = arg[2..];
            string? inline = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) (name, inline) = (name[..eq], name[(eq + 1)..]);
            if (flagOptions.Contains(name))
            {
                if (inline != null) throw new UsageException($"--{name} takes no value");
                a._flags.Add(name);
            }
            else if (valueOptions.Contains(name))
            {
                string value = inline ?? (i + 1 < args.Count ? args[++i] : throw new UsageException($"--{name} needs a value"));
                if (repeatable?.Contains(name) == true)
                {
                    if (!a._repeated.TryGetValue(name, out var list)) a._repeated[name] = list = new List<string>();
                    list.Add(value);
                }
                else if (!a._values.TryAdd(name, value)) throw new UsageException($"--{name} is given twice");
            }
            else
            {
                string? closest = Sweeps.DidYouMean.Closest(name, valueOptions.Concat(flagOptions));
                throw new UsageException($"unknown option --{name} for '{verb}'{(closest == null ? "" : $" (did you mean --{closest}?)")}");
            }
        }
        return a;
    }

    public bool Has(string flag) => _flags.Contains(flag);
    public IReadOnlyList<string> GetAll(string option) => _repeated.GetValueOrDefault(option) ?? new List<string>();
    public bool IsSet(string option) => _values.ContainsKey(option);
    public string? Get(string option) => _values.GetValueOrDefault(option);

    public int? Int(string option, int min = int.MinValue)
    {
        if (!_values.TryGetValue(option, out string? v)) return null;
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)) throw new UsageException($"--{option} must be a whole number, got '{v}'");
        if (n < min) throw new UsageException($"--{option} must be >= {min}, got {n}");
        return n;
    }

    public double? Real(string option)
    {
        if (!_values.TryGetValue(option, out string? v)) return null;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d) || !double.IsFinite(d))
            throw new UsageException($"--{option} must be a number, got '{v}'");
        return d;
    }

    public string Single(string what)
    {
        if (Positional.Count == 0) throw new UsageException($"'{Verb}' needs {what}");
        if (Positional.Count > 1) throw new UsageException($"'{Verb}' takes one {what}, got {Positional.Count}: {string.Join(" ", Positional)}");
        return Positional[0];
    }

    public void NoPositional()
    {
        if (Positional.Count > 0) throw new UsageException($"'{Verb}' takes no argument '{Positional[0]}'");
    }
}

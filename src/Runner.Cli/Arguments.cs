using System.Globalization;

namespace Runner.Cli;

/// <summary>A mistake on the command line: printed as one line with a pointer to --help, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>
/// The command line of one verb after parsing (<see cref="CommandLine"/>): positional arguments, options with values
/// and flags, read with Runner's own messages for values that are not numbers or out of range.
/// </summary>
public sealed class Arguments
{
    readonly IReadOnlyDictionary<string, string> _values;
    readonly IReadOnlyDictionary<string, IReadOnlyList<string>> _repeated;
    readonly IReadOnlySet<string> _flags;
    public IReadOnlyList<string> Positional { get; }
    public string Verb { get; }

    public Arguments(string verb, IReadOnlyList<string> positional, IReadOnlyDictionary<string, string> values,
        IReadOnlyDictionary<string, IReadOnlyList<string>> repeated, IReadOnlySet<string> flags) =>
        (Verb, Positional, _values, _repeated, _flags) = (verb, positional, values, repeated, flags);

    public bool Has(string flag) => _flags.Contains(flag);
    public IReadOnlyList<string> GetAll(string option) => _repeated.GetValueOrDefault(option) ?? Array.Empty<string>();
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

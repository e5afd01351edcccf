using Runner.Results;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Runner.Sweeps;

namespace Runner.Reports.Export;

/// <summary>
/// Every trial with every parameter and metric, at full precision, as CSV (one row per trial) or JSON, both in the
/// public schema of <see cref="TrialRow"/>; both read back into the same rows. In CSV, lists of classes are written
/// "5;6;7", and the pretraining settings and the epochs travel as JSON inside their cells.
/// </summary>
public static class TrialExport
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
    };

    /// <summary>The JSON document of `runner trials --format json`.</summary>
    public sealed record Document(int SchemaVersion, string? SweepId, IReadOnlyList<TrialRow> Trials);

    /// <summary>The CSV columns: <see cref="TrialRow"/>'s fields in order, named as in JSON.</summary>
    static readonly PropertyInfo[] Fields = typeof(TrialRow).GetConstructors().Single().GetParameters()
        .Select(p => typeof(TrialRow).GetProperty(p.Name!)!).ToArray();

    public static readonly IReadOnlyList<string> Columns = Fields.Select(f => Options.PropertyNamingPolicy!.ConvertName(f.Name)).ToArray();

    public static string Json(IReadOnlyList<TrialRecord> trials, string? sweepId = null) =>
        JsonSerializer.Serialize(new Document(TrialRow.SchemaVersion, sweepId, trials.Select(TrialRow.From).ToList()),
            new JsonSerializerOptions(Options) { WriteIndented = true });

    internal static List<TrialRecord> FromJson(string json)
    {
        var document = JsonSerializer.Deserialize<Document>(json, Options) ?? throw new JsonException("empty document");
        if (document.SchemaVersion != TrialRow.SchemaVersion)
            throw new JsonException($"schema_version {document.SchemaVersion} is not {TrialRow.SchemaVersion} (written by another Runner?)");
        return document.Trials.Select(r => r.ToRecord()).ToList();
    }

    public static string Csv(IReadOnlyList<TrialRecord> trials)
    {
        var sb = new StringBuilder();
        sb.AppendLine(string.Join(",", Columns));
        foreach (var row in trials.Select(TrialRow.From))
            sb.AppendLine(string.Join(",", Fields.Select(f => CsvText.Quote(Cell(f.GetValue(row))))));
        return sb.ToString();
    }

    internal static List<TrialRecord> FromCsv(string csv)
    {
        var records = CsvText.Parse(csv);
        var index = records[0].Select((name, i) => (name, i)).ToDictionary(x => x.name, x => x.i);
        var missing = Columns.Where(c => !index.ContainsKey(c)).ToList();
        if (missing.Count > 0) throw new FormatException($"not a trials CSV of this schema: no column {string.Join(", ", missing)}");
        var constructor = typeof(TrialRow).GetConstructors().Single();
        return records.Skip(1).Where(r => r.Count == records[0].Count)
            .Select(f => (TrialRow)constructor.Invoke(Fields.Select((p, i) => Parse(f[index[Columns[i]]], p.PropertyType)).ToArray()))
            .Select(r => r.ToRecord()).ToList();
    }

    /// <summary>A value as CSV text: empty for null, numbers at full precision, enums by name, structures as JSON.</summary>
    static string Cell(object? value) => value switch
    {
        null => "",
        string s => s,
        bool b => b ? "true" : "false",
        int[] classes => string.Join(";", classes.Select(c => c.ToString(CultureInfo.InvariantCulture))),
        IFormattable n and (int or long or double) => n.ToString(n is double ? "R" : null, CultureInfo.InvariantCulture),
        Enum => JsonSerializer.Deserialize<string>(JsonSerializer.Serialize(value, value.GetType(), Options))!,
        _ => JsonSerializer.Serialize(value, value.GetType(), Options),
    };

    static object? Parse(string text, Type type)
    {
        var inner = Nullable.GetUnderlyingType(type);
        if (text.Length == 0 && (inner != null || !type.IsValueType)) return null;
        var t = inner ?? type;
        if (t == typeof(string)) return text;
        if (t == typeof(bool)) return text == "true";
        if (t == typeof(int[])) return text.Split(';').Select(c => int.Parse(c, CultureInfo.InvariantCulture)).ToArray();
        if (t == typeof(int)) return int.Parse(text, CultureInfo.InvariantCulture);
        if (t == typeof(long)) return long.Parse(text, CultureInfo.InvariantCulture);
        if (t == typeof(double)) return double.Parse(text, CultureInfo.InvariantCulture);
        if (t.IsEnum) return JsonSerializer.Deserialize(JsonSerializer.Serialize(text), t, Options);
        return JsonSerializer.Deserialize(text, t, Options);
    }
}

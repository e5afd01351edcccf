using System.Text.Json;

namespace Runner.Sweeps;

/// <summary>
/// A list of labelled images, the usual shape of real labelled data: a CSV file with a header naming the columns
/// <c>path</c>, <c>label</c> and optionally <c>split</c>, or a JSONL file of objects with those keys. Paths are
/// relative to the list's folder (any depth below it); labels are class names (numbers are names too), sorted
/// ordinally as torchvision sorts ImageFolder's class folders; <c>split</c> is <c>train</c>, <c>val</c> or
/// <c>test</c> (no split column: every row trains). The splits mean what the folder layouts' do
/// (<see cref="ImageFolderLayout"/>): rows without a test split give the test split by the same hash rule.
/// Every problem is one line naming the list, the row and what is wrong, found before any trial starts.
/// </summary>
public static class ImageList
{
    public static readonly string[] Extensions = { ".csv", ".jsonl" };
    static readonly string[] Splits = { "train", "val", "test" };

    public static bool IsList(string path) => Extensions.Contains(Path.GetExtension(path).ToLowerInvariant());

    public static ImageFolderLayout Read(string listPath)
    {
        listPath = Path.GetFullPath(listPath);
        if (!File.Exists(listPath)) throw new ImageFolderException($"{listPath}: no such file");
        string root = Path.GetDirectoryName(listPath)!;
        string text;
        try { text = File.ReadAllText(listPath); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { throw new ImageFolderException($"{listPath}: cannot be read ({e.Message})"); }
        var rows = Path.GetExtension(listPath).Equals(".csv", StringComparison.OrdinalIgnoreCase) ? Csv(listPath, text) : Jsonl(listPath, text.Split('\n'));
        if (rows.Count == 0) throw new ImageFolderException($"{listPath}: lists no images");

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows)
        {
            string at = $"{listPath}:{row.Line}";
            if (row.Path.Length == 0) throw new ImageFolderException($"{at}: the path is empty");
            if (row.Label.Length == 0) throw new ImageFolderException($"{at}: the label is empty");
            if (!Splits.Contains(row.Split)) throw new ImageFolderException($"{at}: split '{row.Split}' is not one of {string.Join(", ", Splits)}");
            if (Path.IsPathRooted(row.Path)) throw new ImageFolderException($"{at}: {row.Path}: paths are relative to the list's folder");
            string full = Path.GetFullPath(Path.Combine(root, row.Path));
            if (!full.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal))
                throw new ImageFolderException($"{at}: {row.Path} is outside the list's folder {root} (images must sit in it or below)");
            if (!ImageFolderLayout.Extensions.Contains(Path.GetExtension(full).ToLowerInvariant()))
                throw new ImageFolderException($"{at}: {row.Path} is not a PNG or JPEG file name ({string.Join(", ", ImageFolderLayout.Extensions)})");
            if (!File.Exists(full)) throw new ImageFolderException($"{at}: {row.Path}: no such file");
            if (!seen.Add(full)) throw new ImageFolderException($"{at}: {row.Path} is listed twice");
            row.Full = full;
        }

        var classes = rows.Select(r => r.Label).Distinct().OrderBy(l => l, StringComparer.Ordinal).ToList();
        if (classes.Count < 2) throw new ImageFolderException($"{listPath}: {classes.Count} class(es); a task needs at least two labels");
        List<string>[]? Group(string split)
        {
            var inSplit = rows.Where(r => r.Split == split).ToList();
            if (inSplit.Count == 0) return null;
            var missing = classes.Where(c => inSplit.All(r => r.Label != c)).ToList();
            if (missing.Count > 0)
                throw new ImageFolderException($"{listPath}: split {split} has no image of class {string.Join(", ", missing.Take(5).Select(c => $"'{c}'"))}; every split needs every class");
            return classes.Select(c => inSplit.Where(r => r.Label == c).Select(r => r.Full!).OrderBy(f => f, StringComparer.Ordinal).ToList()).ToArray();
        }
        var train = Group("train") ?? throw new ImageFolderException($"{listPath}: no row has split train");
        return ImageFolderLayout.Split(root, classes, train, Group("val"), Group("test"), c => $"{listPath}: class '{c}'", listPath);
    }

    sealed class Row(int line, string path, string label, string split)
    {
        public int Line { get; } = line;
        public string Path { get; } = path;
        public string Label { get; } = label;
        public string Split { get; } = split;
        public string? Full { get; set; }
    }

    /// <summary>Rows of a CSV list; a row's number counts the header as 1 (a quoted field may span lines, so it is not always the line).</summary>
    static List<Row> Csv(string listPath, string text)
    {
        // Blank lines are no rows.
        var records = CsvText.Parse(text).Select((fields, i) => (Fields: fields, Number: i + 1))
            .Where(r => !(r.Fields.Count == 1 && r.Fields[0].Trim().Length == 0)).ToList();
        if (records.Count == 0) throw new ImageFolderException($"{listPath}: the file is empty (it needs a header line: path,label[,split])");
        var (first, headerAt) = records[0];
        var header = first.Select(h => h.Trim().ToLowerInvariant()).ToList();
        int path = header.IndexOf("path"), label = header.IndexOf("label"), split = header.IndexOf("split");
        if (path < 0 || label < 0)
            throw new ImageFolderException($"{listPath}:{headerAt}: the header must name the columns path and label (and optionally split), got '{string.Join(",", first).Trim()}'");
        var rows = new List<Row>();
        foreach (var (fields, number) in records.Skip(1))
        {
            if (fields.Count != header.Count)
                throw new ImageFolderException($"{listPath}:{number}: {fields.Count} field(s), the header has {header.Count}");
            rows.Add(new Row(number, fields[path].Trim(), fields[label].Trim(), split < 0 ? "train" : fields[split].Trim().ToLowerInvariant()));
        }
        return rows;
    }

    static List<Row> Jsonl(string listPath, string[] lines)
    {
        var rows = new List<Row>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0) continue;
            string at = $"{listPath}:{i + 1}";
            JsonElement item;
            try { item = JsonDocument.Parse(lines[i]).RootElement; }
            catch (JsonException e) { throw new ImageFolderException($"{at}: not a JSON object ({e.Message.Split(" LineNumber")[0]})"); }
            if (item.ValueKind != JsonValueKind.Object) throw new ImageFolderException($"{at}: not a JSON object");
            string Text(string key, string? fallback)
            {
                if (!item.TryGetProperty(key, out var v))
                    return fallback ?? throw new ImageFolderException($"{at}: no \"{key}\" (each line needs \"path\" and \"label\")");
                return v.ValueKind switch
                {
                    JsonValueKind.String => v.GetString()!,
                    JsonValueKind.Number => v.GetRawText(),
                    _ => throw new ImageFolderException($"{at}: \"{key}\" must be a string or a number"),
                };
            }
            rows.Add(new Row(i + 1, Text("path", null).Trim(), Text("label", null).Trim(), Text("split", "train").Trim().ToLowerInvariant()));
        }
        return rows;
    }
}

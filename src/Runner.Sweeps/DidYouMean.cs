namespace Runner.Sweeps;

/// <summary>Suggests the closest known word for a misspelt key or value.</summary>
public static class DidYouMean
{
    public static string? Closest(string word, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string c in candidates)
        {
            int d = Distance(word.ToLowerInvariant(), c.ToLowerInvariant());
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        // Only suggest when the word is plausibly a typo of the candidate.
        return best != null && bestDistance <= Math.Max(2, word.Length / 3) ? best : null;
    }

    public static string Hint(string word, IEnumerable<string> candidates)
    {
        string? c = Closest(word, candidates);
        return c == null ? "" : $" (did you mean '{c}'?)";
    }

    static int Distance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}

using Runner.Sweeps;

namespace Runner.Training.Data;

/// <summary>
/// Which images a task uses, as indices into the dataset's splits. Pure logic, no tensors.
/// <para>
/// Validation is the data's own validation split when it has one (an image folder's val/: every image of the target
/// classes); otherwise it is carved from the target classes' training images with a fixed seed, the same for every
/// trial, so that trials are compared on the same validation images. The rest of each class is the training pool; a trial
/// takes the first <c>dataset_size</c> images of the pool shuffled by its own seed, so smaller sizes are subsets of
/// larger ones for the same seed. A class whose pool is smaller than <c>dataset_size</c> (uneven classes, or
/// <c>dataset_size: all</c>) trains on its whole pool; <see cref="TargetIndices.TrainPerClass"/> says what each used.
/// </para>
/// </summary>
public static class TaskSplits
{
    /// <summary>The seed of the validation carve; changing it changes every trial's validation set.</summary>
    public const int ValidationSeed = 20_231;

    /// <param name="Validation">indices into the validation split when the data has one, else into the training split</param>
    /// <param name="TrainPerClass">training images each target class contributed, in the task's class order</param>
    public sealed record TargetIndices(int[] Train, int[] Validation, int[] Test, int[] TrainPerClass);

    public static TargetIndices Target(ImageData data, int[] classes, int validationPerClass, int datasetSize, int seed)
    {
        if (data.Validation == null && validationPerClass < 1)
            throw new DataException("the data has no validation split of its own (val/) and the trial carves no validation images (validation_per_class 0)");
        var split = Target(data.Train, data.Test, classes, data.Validation == null ? validationPerClass : 0, datasetSize, seed);
        return data.Validation is { } own ? split with { Validation = classes.SelectMany(own.IndicesOf).ToArray() } : split;
    }

    public static TargetIndices Target(ImageSet train, ImageSet test, int[] classes, int validationPerClass, int datasetSize, int seed)
    {
        var trainIdx = new List<int>();
        var valIdx = new List<int>();
        var used = new int[classes.Length];
        for (int k = 0; k < classes.Length; k++)
        {
            int c = classes[k];
            var all = train.IndicesOf(c).ToList();
            Shuffle(all, ValidationSeed + c);
            if (TargetSpec.CapacityOf(all.Count, validationPerClass) < 1)
                throw new DataException(
                    $"class {c} has {all.Count} training images: not enough for {validationPerClass} validation images and at least one to train on");
            valIdx.AddRange(all.Take(validationPerClass));
            var pool = all.Skip(validationPerClass).ToList();
            Shuffle(pool, seed * 1_000_003 + c);
            used[k] = Math.Min(datasetSize, pool.Count);
            trainIdx.AddRange(pool.Take(used[k]));
        }
        var testIdx = classes.SelectMany(test.IndicesOf).ToArray();
        return new TargetIndices(trainIdx.ToArray(), valIdx.ToArray(), testIdx, used);
    }

    /// <summary>Every training image of the source classes (pretraining uses them all).</summary>
    public static int[] Source(ImageSet train, int[] classes) => classes.SelectMany(train.IndicesOf).ToArray();

    /// <summary>Fisher-Yates with the seeded (stable across .NET versions) System.Random.</summary>
    public static void Shuffle<T>(IList<T> items, int seed)
    {
        var rng = new Random(seed);
        for (int i = items.Count - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (items[i], items[j]) = (items[j], items[i]);
        }
    }
}

package io.metaservice.protocol;

import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The reply body of a {@link ActionType#LIST_FOLDER} action: the absolute paths of every regular
 * file below the folder, or {@code notFound} when the folder itself cannot be read. {@code files}
 * is {@code null} only when the guest sent {@code null}.
 */
@JsonPropertyOrder({"files", "notFound"})
public record Files(List<String> files, boolean notFound) {

    /** Creates the listing of a folder that could not be read. */
    public static Files folderNotFound() {
        return new Files(null, true);
    }
}

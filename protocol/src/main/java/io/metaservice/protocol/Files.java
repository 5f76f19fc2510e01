package io.metaservice.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;

/**
 * The reply body of a {@link ActionType#LIST_FOLDER} action: the absolute paths of every regular
 * file below the folder, or {@code notFound} when the folder itself cannot be read. {@code files}
 * is {@code null} only when the guest sent {@code null}.
 *
 * <p>{@code truncated} is an extension: true when the guest left files out because the JSON
 * would exceed {@link Protocol#LIST_FOLDER_BODY_LIMIT}. It is written only when true, and a
 * peer that does not know it ignores it, as decoders ignore unknown fields.
 */
@JsonPropertyOrder({"files", "notFound", "truncated"})
public record Files(List<String> files, boolean notFound,
        @JsonInclude(JsonInclude.Include.NON_DEFAULT) boolean truncated) {

    /** Creates a complete listing, as the original protocol has it. */
    public Files(List<String> files, boolean notFound) {
        this(files, notFound, false);
    }

    /** Creates the listing of a folder that could not be read. */
    public static Files folderNotFound() {
        return new Files(null, true);
    }
}

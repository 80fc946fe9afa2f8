package io.xvio.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

/**
 * `--format json`: a {@link Status} record as an indented JSON object, fields in snake_case in the records' order,
 * nulls written out (a field is always there), one object per answer.
 */
final class JsonRender {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private JsonRender() {}

    static String render(Record model) {
        try {
            return MAPPER.writeValueAsString(model) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render " + model.getClass().getSimpleName() + " as JSON: " + e.getMessage(), e);
        }
    }
}
